"""The starter's traffic: generic prompts any assistant can answer. The probe sends them
too, so the cost and latency it measures are those of the load the starter sends."""

PROMPTS = (
    "Hello! Please answer in one short sentence: what can you help me with?",
    "Summarise in two sentences what you would need from me to get started.",
    "I asked you something earlier and the answer was wrong. Can you check again?",
    "Give me three options and recommend one.",
)
