"""How long sorting households in register order (group, then pinyin) takes: the town list of
a large town, first with an empty cache, then again (every later list). Prints numbers only.

    .venv/bin/python -m bench.ordering [--households 3000]
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass

from bot.core.households.ordering import by_group_and_pinyin, pinyin_key

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
GIVEN = "桂英德明玉珍长林秀兰志强春花建国金山家富"


@dataclass(frozen=True)
class Row:
    head_name: str
    group_name: str


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=3000)
    count = parser.parse_args().households
    rng = random.Random(1)
    rows = [
        Row(rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN), f"{rng.randint(1, 12)}组")
        for _ in range(count)
    ]
    pinyin_key.cache_clear()
    for label in ("first sort (empty cache)", "next sort (cached)"):
        start = time.perf_counter()
        by_group_and_pinyin(rows)
        print(f"{count} households, {label}: {(time.perf_counter() - start) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
