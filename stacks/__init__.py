"""Reference stacks that compose cdk-genai-inference (used by app.py and the tests; not shipped)."""
