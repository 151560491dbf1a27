"""The one TAP runner of the project's Python tests (host and guest).

    import taptest
    test = taptest.Registry()

    @test
    def frame_callbacks_keep_coming():
        assert ..., "what went wrong"      # a failure
        return "SKIP-worthy reason"        # only where a host lacks something: ok # SKIP reason

    sys.exit(test.run())

An assertion or any other exception fails the test, its message (last lines) going out as TAP
comments; a test that returns a string is skipped with that reason; anything else passes."""
import sys


class Registry(list):
    def __call__(self, fn):
        self.append(fn)
        return fn

    def run(self, comment_lines=60, out=None):
        """Runs the tests in order and prints TAP; returns 1 if any failed, else 0."""
        out = out or sys.stdout
        print(f"1..{len(self)}", file=out, flush=True)
        failed = 0
        for i, fn in enumerate(self, 1):
            try:
                skip = fn()
            except Exception as e:  # an assertion, or a crash of the test itself
                text = f"{type(e).__name__}: {e}" if not isinstance(e, AssertionError) else str(e)
                for line in text.splitlines()[-comment_lines:]:
                    print(f"# {line}", file=out)
                print(f"not ok {i} - {fn.__name__}", file=out, flush=True)
                failed += 1
                continue
            directive = f" # SKIP {skip}" if isinstance(skip, str) and skip else ""
            print(f"ok {i} - {fn.__name__}{directive}", file=out, flush=True)
        return 1 if failed else 0
