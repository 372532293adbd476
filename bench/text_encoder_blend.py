"""Does the sentence encoder help inside fas-ray's text blend when it has the time?

The text model alone (``fit_text_model``, no time limit) on seed 0's 80 % of a bench set,
with the ``encoder_lr`` candidate off and on, scored on the 20 % held out (binary sets). The
embeddings come from ``bench/text.py``'s cache (run its ``encoder-lr`` cells first), put into
the encoder's in-run cache, so only the models are timed.

    PYTHONPATH=. .venv/bin/python bench/text_encoder_blend.py reviews tweets
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import split  # noqa: E402
from text import CACHE, TARGET, TASK, TEXT, embedded, load  # noqa: E402

from fas_ray.text import SentenceEncoder, TextTarget, fit_text_model  # noqa: E402
from fas_ray.text._encoder import _CACHE  # noqa: E402


def main(names: list[str]) -> None:
    for name in names:
        df = load(name)
        docs = df[TEXT[name]].fill_null("").to_list()
        embeddings, _, _ = embedded(docs, CACHE)
        train, test = split(df.with_row_index("__row"), TARGET[name], TASK[name], 0)
        tr, te = train["__row"].to_numpy(), test["__row"].to_numpy()
        labels = sorted(str(v) for v in df[TARGET[name]].unique().to_list())
        y = np.array([labels.index(str(v)) for v in df[TARGET[name]].to_list()])
        encoder = SentenceEncoder()
        for rows in (tr, te):  # the run's cache, as if it had encoded them
            _CACHE[encoder._key([docs[i] for i in rows])] = embeddings[rows]
        for mode in ("off", "on"):
            started = time.perf_counter()
            target = TextTarget(y[tr], 2, encoder=mode)
            model, _ = fit_text_model("text", [docs[i] for i in tr], target) or (None, None)
            assert model is not None
            held = roc_auc_score(y[te], model.predict([docs[i] for i in te])[:, 0])
            weights = {s.name: round(s.weight, 2) for s in model.scores if s.weight}
            scores = {s.name: round(s.score, 4) for s in model.scores if s.score is not None}
            print(
                f"{name} encoder={mode}: inner CV {model.blend_score:.4f}, holdout {held:.4f}, "
                f"weights {weights}, scores {scores} ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main(sys.argv[1:])
