"""双减问答助手: answers parents' questions about the 双减 policy from district reports."""

__version__ = "0.1.0"
