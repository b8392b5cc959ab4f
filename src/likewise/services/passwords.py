"""Password rules shared by every way of creating an account: length, not blank, not the user
name, and not one of the passwords that guessing tools try first."""

from __future__ import annotations

MIN_LENGTH = 8
MAX_LENGTH = 256
# The head of the public lists of leaked passwords (compared case-insensitively, so their
# capitalised forms are refused too); long enough to stop the first guesses of a spray.
_COMMON_WORDS = """
    12345678 123456789 1234567890 12345678910 87654321 11111111 00000000 88888888 99999999
    11223344 12341234 12121212 123123123 147258369 987654321 1q2w3e4r 1q2w3e4r5t 1qaz2wsx
    password password1 password12 password123 password! passw0rd p@ssw0rd p@ssword
    qwertyui qwertyuiop qwerty123 qwerty12 asdfghjk asdfghjkl zxcvbnm1 zxcvbnm123 azertyui
    iloveyou iloveyou1 sunshine princess football baseball basketball superman batman123
    trustno1 whatever letmein1 letmein! welcome1 welcome123 changeme changeme1 abcd1234
    abc12345 abcdefgh 1234abcd aa123456 a1b2c3d4 admin123 administrator rootroot
    starwars dragon12 monkey12 master12 shadow12 michael1 jennifer jordan23 computer
    internet samsung1 charlie1 liverpool chelsea1 arsenal1 midnight mustang1 freedom1
    secret12 secret123 pokemon1 qwer1234 pass1234 test1234 testtest guest123 default1
"""
COMMON = frozenset(_COMMON_WORDS.split())


def password_problem(password: str, username: str = "") -> str | None:
    """Why the password cannot be used, or None when it can."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        return f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters"
    if not password.strip():
        return "a password must be not only spaces"
    folded = password.strip().casefold()
    if username and folded == username.strip().casefold():
        return "a password must not be the user name"
    if folded in COMMON:
        return "that password is too common (it is among the first that attackers try)"
    return None
