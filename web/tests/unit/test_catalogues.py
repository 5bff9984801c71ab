"""Every word of the web app comes from a catalogue, in Bahasa Indonesia and English: each key the code asks
for exists in both languages of its app (or the shared catalogue), and the two languages have the same keys."""

import json
import re
import subprocess
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2]
SRC = WEB / "src"
APPS = ("citizen", "staff", "board", "status")
# English names of document types: in Indonesian the API's own names are shown (data, not interface).
ENGLISH_ONLY = re.compile(r"^doc\.")
STATIC = re.compile(r"""\bt\(\s*["']([\w.\-/]+)["']""")
DYNAMIC = re.compile(r"""\bt\(\s*`([\w.\-/]*)\$\{""")


def catalogue(module):
    script = f"import('{module.as_uri()}').then((m) => console.log(JSON.stringify(m.catalogue)))"
    return json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True).stdout)


@pytest.fixture(scope="module")
def common():
    return catalogue(SRC / "lib" / "messages.js")


def used_keys(app):
    sources = [*(SRC / app).rglob("*.js"), *(SRC / "lib").glob("*.js")]
    static, prefixes = set(), set()
    for source in sources:
        text = source.read_text()
        static |= set(STATIC.findall(text))
        prefixes |= set(DYNAMIC.findall(text))
    return static, prefixes


@pytest.mark.parametrize("app", APPS)
def test_both_languages_have_the_same_words(app, common):
    own = catalogue(SRC / app / "messages.js")
    for lang_a, lang_b in (("id", "en"), ("en", "id")):
        keys_a = set(common[lang_a]) | set(own[lang_a])
        keys_b = set(common[lang_b]) | set(own[lang_b])
        missing = sorted(k for k in keys_a - keys_b if not ENGLISH_ONLY.match(k))
        assert not missing, f"{app}: in {lang_a} but not in {lang_b}: {missing}"


@pytest.mark.parametrize("app", APPS)
def test_every_key_the_code_asks_for_exists(app, common):
    own = catalogue(SRC / app / "messages.js")
    static, prefixes = used_keys(app)
    for lang in ("id", "en"):
        keys = set(common[lang]) | set(own[lang])
        missing = sorted(k for k in static if k not in keys and not ENGLISH_ONLY.match(k))
        assert not missing, f"{app} ({lang}): {missing}"
        for prefix in prefixes - ({"doc."} if lang == "id" else set()):
            assert any(k.startswith(prefix) for k in keys), f"{app} ({lang}): no key starts with {prefix!r}"


def test_the_html_shell_has_no_words_of_its_own():
    shell = (SRC / "pages" / "shell.html").read_text()
    text = re.sub(r"<[^>]+>|\{\{\w+\}\}", " ", shell)
    assert text.split() == [], text.split()
