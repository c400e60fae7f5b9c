"""Measure: gold sets, SQuAD EM/F1, retrieval recall, abstention, latency."""
