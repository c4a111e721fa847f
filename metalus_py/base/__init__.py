"""Small pieces every layer shares: exceptions, secrets, run records, problems, ``className`` building.

Nothing here imports the engine; every other package may import from here.
"""
