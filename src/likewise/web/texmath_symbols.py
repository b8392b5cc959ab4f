"""Symbol tables of the TeX-to-MathML renderer (web/texmath.py): Greek letters, operators,
relations, functions, accents, spacing, font classes and the commands it ignores.
"""

from __future__ import annotations


def _names(text: str) -> list[str]:
    return text.split()


GREEK = _names(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu "
    "xi pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta "
    "Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega"
)
GREEK_LETTERS = "αβγδϵεζηθϑικλμνξπϖρϱσςτυϕφχψωΓΔΘΛΞΠΣΥΦΨΩ"
IDENTIFIERS = dict(zip(GREEK, GREEK_LETTERS, strict=True)) | {
    "ell": "ℓ",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "hbar": "ℏ",
    "emptyset": "∅",
    "varnothing": "∅",
    "aleph": "ℵ",
    "Re": "ℜ",
    "Im": "ℑ",
    "imath": "ı",
    "jmath": "ȷ",
}
OPERATORS = {
    "times": "×",
    "cdot": "⋅",
    "cdots": "⋯",
    "ldots": "…",
    "dots": "…",
    "pm": "±",
    "mp": "∓",
    "div": "÷",
    "ast": "∗",
    "star": "⋆",
    "circ": "∘",
    "bullet": "∙",
    "oplus": "⊕",
    "otimes": "⊗",
    "odot": "⊙",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "cong": "≅",
    "equiv": "≡",
    "propto": "∝",
    "ll": "≪",
    "gg": "≫",
    "in": "∈",
    "notin": "∉",
    "ni": "∋",
    "subset": "⊂",
    "subseteq": "⊆",
    "supset": "⊃",
    "supseteq": "⊇",
    "cup": "∪",
    "cap": "∩",
    "setminus": "∖",
    "wedge": "∧",
    "land": "∧",
    "vee": "∨",
    "lor": "∨",
    "neg": "¬",
    "lnot": "¬",
    "forall": "∀",
    "exists": "∃",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "Leftarrow": "⇐",
    "leftrightarrow": "↔",
    "Leftrightarrow": "⇔",
    "iff": "⟺",
    "implies": "⟹",
    "mapsto": "↦",
    "uparrow": "↑",
    "downarrow": "↓",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "oint": "∮",
    "bigcup": "⋃",
    "bigcap": "⋂",
    "mid": "∣",
    "parallel": "∥",
    "perp": "⊥",
    "langle": "⟨",
    "rangle": "⟩",
    "lceil": "⌈",
    "rceil": "⌉",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "vert": "|",
    "Vert": "‖",
    "lvert": "|",
    "rvert": "|",
    "lVert": "‖",
    "rVert": "‖",
    "prime": "′",
    "top": "⊤",
    "dagger": "†",
    "sharp": "♯",
    "%": "%",
    "&": "&",
    "#": "#",
    "$": "$",
    "_": "_",
    "{": "{",
    "}": "}",
    "|": "‖",
    "lbrace": "{",
    "rbrace": "}",
    "colon": ":",
}
FUNCTIONS = set(
    _names(
        "log ln exp sin cos tan sec csc cot arcsin arccos arctan sinh cosh tanh max min arg "
        "argmax argmin sup inf lim liminf limsup det dim ker deg gcd Pr mod bmod"
    )
)
ACCENTS = {
    "hat": "^",
    "widehat": "^",
    "bar": "¯",
    "overline": "¯",
    "tilde": "~",
    "widetilde": "~",
    "vec": "→",
    "dot": "˙",
    "ddot": "¨",
    "check": "ˇ",
    "breve": "˘",
    "acute": "´",
    "grave": "`",
    "overrightarrow": "→",
}
SPACES = {
    ",": "0.17em",
    ":": "0.22em",
    ";": "0.28em",
    "quad": "1em",
    "qquad": "2em",
    " ": "0.25em",
    "!": "0em",
    "enspace": "0.5em",
}
IGNORED = set(
    _names(
        "left right big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr middle displaystyle "
        "textstyle scriptstyle limits nolimits nonumber notag"
    )
)
TEXT_COMMANDS = {
    "text",
    "textrm",
    "textit",
    "textbf",
    "textsf",
    "texttt",
    "mbox",
    "textnormal",
    "emph",
}
FONT_CLASSES = {
    "mathbf": "tex-bf",
    "boldsymbol": "tex-bf",
    "bm": "tex-bf",
    "mathsf": "tex-sf",
    "mathtt": "tex-tt",
    "mathit": "tex-it",
}
DOUBLE_STRUCK = {"C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"}
SCRIPT = {"B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "L": "ℒ", "M": "ℳ", "R": "ℛ"}
