from tagger.cli import app

app()
