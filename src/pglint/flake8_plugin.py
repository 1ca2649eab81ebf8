class Plugin:
    name = "pglint"
    version = "0"

    def __init__(self, tree, lines, filename):
        pass

    def run(self):
        return iter(())
