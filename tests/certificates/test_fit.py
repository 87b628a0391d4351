"""文字溢れ: shrink to fit, then the overflow list and the print-or-blank parameter."""

import io
from datetime import date

from pdfminer.high_level import extract_text

from lgcloud.certificates.compose import compose
from lgcloud.certificates.fit import MIN_SCALE, fit, visual_width
from lgcloud.certificates.model import CertificateOptions, CertificateSubject, CertType, Overflow
from lgcloud.certificates.render import render_pdf


def test_visual_width_counts_full_and_half_width_and_ignores_selectors() -> None:
    assert visual_width("山田") == 2
    assert visual_width("1番1") == 2
    assert visual_width("葛\U000e0102") == 1


def test_fit_shrinks_then_overflows() -> None:
    assert fit("本町一丁目", 10).scale == 1.0
    shrunk = fit("あ" * 15, 10)
    assert 0.66 <= shrunk.scale < 0.67 and not shrunk.overflow
    assert fit("あ" * 40, 10) == fit("あ" * 40, 10) and fit("あ" * 40, 10).overflow
    assert fit("あ" * 40, 10).scale == MIN_SCALE


def test_overflow_is_listed_and_blank_policy_leaves_the_cell_empty() -> None:
    long_address = "長い町名" * 30
    subject = CertificateSubject("A1", "S1", "長住　所", birth="昭和55年1月2日", address=long_address, sex="男")
    options = CertificateOptions(overflow=Overflow.BLANK)
    doc = compose(
        CertType.JUMINHYO, [subject], options, issued_on=date(2025, 6, 30), municipality="鯖江市", prefecture="福井県"
    )
    rendered = render_pdf(doc, footer="見本", preview=True, policy=Overflow.BLANK)
    assert rendered.overflows == (f"住所: 福井県鯖江市{long_address}",)
    text = extract_text(io.BytesIO(rendered.pdf))
    assert "長い町名長い町名" not in text and "長住　所" in text and "見本（未発行）" in text
