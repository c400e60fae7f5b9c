# syntax=docker/dockerfile:1
# Build from the repository root:
#   docker build -t groundqa .
#   docker run -p 8000:8000 -e GROUNDQA_API_KEY=change-me groundqa
FROM python:3.11-slim

# make for the install; Tesseract reads scanned PDF pages (README, Scanned PDFs).
RUN apt-get update && apt-get install -y --no-install-recommends make tesseract-ocr tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The same install as the README (`make install`): torch pinned first, then the project.
COPY Makefile pyproject.toml README.md ./
COPY groundqa groundqa
COPY index index
COPY service service
COPY eval eval
COPY corpus corpus
# The reader (models/reader-minilm-l6-groundqa), found by the default settings next to the code.
COPY models models
ARG TORCH_PIP_ARGS=""
RUN make install TORCH_PIP_ARGS="${TORCH_PIP_ARGS}"

ENV HF_HUB_OFFLINE=1 \
    GROUNDQA_HOST=0.0.0.0 \
    GROUNDQA_PORT=8000 \
    GROUNDQA_INDEX_DIR=/data/index
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# `make serve`: index the shipped corpus (incrementally), then serve.
CMD ["make", "serve"]
