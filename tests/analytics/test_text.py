# ruff: noqa: RUF001  (Chinese punctuation in Chinese test messages)
"""Sentiment, language, keywords and topic phrases of single messages (issue 15, interaction analytics):
clear English and Chinese cases, each with the library that ships its lexicon or model."""

from __future__ import annotations

import pytest

from apps.analytics import text


@pytest.mark.parametrize(
    ("message", "lang", "label"),
    [
        ("Thank you so much, this is wonderful, you solved it!", "en", "positive"),
        ("Great service, I love it. Perfect!", "en", "positive"),
        ("This is terrible. I am very angry and I want a refund now.", "en", "negative"),
        ("The worst support ever, awful and useless.", "en", "negative"),
        ("非常感谢，服务很好，我很满意！", "zh", "positive"),
        ("服务态度很好，谢谢", "zh", "positive"),
        ("太差了，我很生气，质量很糟糕，要退款", "zh", "negative"),
        ("垃圾产品，非常失望，再也不买了", "zh", "negative"),
    ],
)
def test_clear_messages_get_the_right_label_in_both_languages(message: str, lang: str, label: str) -> None:
    found = text.sentiment(message)
    assert found is not None
    assert (found.lang, found.label) == (lang, label), found
    assert -1 <= found.score <= 1
    assert (found.score > 0) == (label == "positive")


def test_language_by_cjk_share_and_neutral_band() -> None:
    assert text.language_of("我的订单 ABC123 还没到") == "zh"  # mostly ideographs, an order number
    assert text.language_of("My order 订单 has not arrived yet") == "en"
    assert text.language_of("12345 !!") is None and text.sentiment("12345 !!") is None
    neutral = text.sentiment("The parcel is at the depot.")
    assert neutral is not None and neutral.label == "neutral"
    assert text.label_of(0.04) == "neutral" and text.label_of(-0.06) == "negative"
    assert text.label_of(0.15, text.THRESHOLDS["zh"]) == "neutral"  # Chinese needs a clearer probability


def test_keywords_skip_stop_words_and_use_chinese_segmentation() -> None:
    found = dict(
        text.keywords(
            ["I want a refund for my broken blender.", "The blender arrived broken and I am not happy with it."]
        )
    )
    assert found["blender"] == 2 and found["broken"] == 2 and found["refund"] == 1
    assert not {"want", "the", "and", "for", "with"} & set(found)
    chinese = dict(text.keywords(["这个产品质量太差了，产品坏了，我要退款"]))
    assert "产品" in chinese and all(len(term) >= 2 for term in chinese)


def test_topic_phrases_match_whole_words_any_case_and_chinese_substrings() -> None:
    assert text.find_phrase(["refund"], "Has it been REFUNDED yet?") == "refund"
    assert text.find_phrase(["refund"], "prefunding") is None
    assert text.find_phrase(["cancel my order"], "please cancel   my order today") == "cancel my order"
    assert text.find_phrase(["退款", "refund"], "我要退款") == "退款"
    assert text.find_phrase(["退款"], "我要换货") is None
