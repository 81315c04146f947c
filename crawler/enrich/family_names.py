"""Romanised family names that come first in a full name.

Chinese, Korean and Vietnamese names print the family name first: "Liu
Xiaming" is "Liu" on second mention, "Moon Jae-in" is "Moon", where
"Antony Blinken" is "Blinken". Only a two- or three-word name whose first
word is one of these reads that way, so "Zhang" alone is Zhang Jun, while
an English name such as "Lee Child" keeps its last word ("Lee" is left out:
it is a first name in English as often as a family name in Korean).
"""

from __future__ import annotations

FAMILY_FIRST = frozenset("""
Bai Cai Cao Chen Cheng Chiang Chou Cui Dai Deng Ding Dong Du Duan Fan Fang Feng Fu Gao Geng Gong
Gu Guo Han Hao He Hou Hu Hua Huang Ji Jia Jiang Jin Kang Kong Lai Lei Li Liang Liao Lin Liu Lu
Luo Lü Ma Mao Meng Mo Ni Niu Pan Peng Qi Qian Qin Qiu Ren Shao Shen Shi Song Su Sun Tan Tang
Tian Wan Wang Wei Wen Wu Xi Xia Xiang Xiao Xie Xiong Xu Xue Yan Yang Yao Ye Yin Yu Yuan Zeng
Zhai Zhang Zhao Zheng Zhong Zhou Zhu Zou
Ahn Choi Chung Hwang Jang Jeon Jeong Jung Kim Moon Oh Ryu Seo Shin Yoon Yoo
Nguyen Pham Tran Vo Hoang
""".split())


def family_name(words: list[str]) -> str:
    """The word of a full name that stands for it alone."""
    if 2 <= len(words) <= 3 and words[0] in FAMILY_FIRST:
        return words[0]
    return words[-1]
