"""The demos: ``kindbreak demo`` (one recorded workday) and ``kindbreak demo --week`` (five
recorded workdays whose prompts a simulated person answers), each into a fresh demo log."""
