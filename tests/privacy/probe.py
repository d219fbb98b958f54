import sqlite3, sys
def probe(runtime, label):
    path = runtime.engine.url.database
    c = sqlite3.connect(path, timeout=0.1, isolation_level=None)
    try:
        c.execute("BEGIN IMMEDIATE"); c.execute("ROLLBACK"); print("PROBE", label, "free")
    except Exception as e:
        print("PROBE", label, e)
    c.close()
