"""Reliability and security suite: fuzzing, crash safety, concurrency, secrets, injection, access, backup."""
