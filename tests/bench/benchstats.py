"""What the benchmark reports share: nearest-rank statistics and sb-client's --csv rows."""
import csv


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, -(-p * len(s) // 100) - 1))
    return s[k]


def median(values):
    return percentile(values, 50)


def read_frames(path):
    """sb-client --csv rows of one surface, in frame order."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["surface"] == "0"]
    rows.sort(key=lambda r: int(r["frame"]))
    return rows


def replace_table(readme, name, table):
    """Puts table between the README's <!-- NAME --> and <!-- /NAME --> markers; False (the
    file untouched) when it has no such markers."""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    if start not in text or end not in text:
        return False
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    with open(readme, "w", encoding="utf-8") as f:
        f.write(head + start + "\n" + table.rstrip("\n") + "\n" + end + tail)
    return True
