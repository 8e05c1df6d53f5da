from harken.text import cap, html_to_text, markdown_to_text, unescape_entities_strict, unescape_text


def test_html_to_text_drops_script_and_style_content() -> None:
    html = "<p>Hello <b>Acme</b></p><script>track(1)</script><style>p{color:red}</style><p>bye</p>"
    assert html_to_text(html) == "Hello Acme\nbye"


def test_html_to_text_decodes_entities_exactly_once() -> None:
    assert html_to_text("It&#x27;s &amp;amp; done") == "It's &amp; done"


def test_html_to_text_handles_unclosed_paragraphs_and_nbsp() -> None:
    assert html_to_text("one<p>two&nbsp;&nbsp; three<p>four") == "one\ntwo three\nfour"


def test_html_to_text_of_nothing_is_empty() -> None:
    assert html_to_text(None) == ""
    assert html_to_text("   ") == ""


def test_unescape_text_decodes_once() -> None:
    assert unescape_text("A &amp;amp; B &quot;x&quot;") == 'A &amp; B "x"'


def test_strict_unescape_leaves_bare_ampersands_in_urls() -> None:
    assert unescape_entities_strict("?a=1&not=2&amp;b=3") == "?a=1&not=2&b=3"


def test_markdown_to_text_keeps_code_generics_but_drops_html_tags() -> None:
    md = "<details><summary>Logs</summary>\r\n\r\n```\nList<String> x\n```\n</details>\n<!-- hidden -->"
    assert markdown_to_text(md) == "Logs\nList<String> x"


def test_markdown_marks_are_not_text() -> None:
    """A mention's text is plain text (the contract): "**Acme Cloud**" and "### Describe the bug"
    reached emails and the API as written."""
    md = (
        "### Describe the bug\n**Acme Cloud** deletes files, see [the status page](https://status.example)"
        "\n&gt; quoted\n`snake_case_name` and a*b*c stay; *emphasis* and ~~struck~~ do not"
    )
    assert markdown_to_text(md) == (
        "Describe the bug\nAcme Cloud deletes files, see the status page (https://status.example)"
        "\nquoted\nsnake_case_name and a*b*c stay; emphasis and struck do not"
    )


def test_cap_cuts_long_text_with_ellipsis() -> None:
    text = "word " * 10_000
    out = cap(text, 20_000)
    assert len(out) <= 20_000
    assert out.endswith("…")
