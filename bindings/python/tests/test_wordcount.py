"""A realistic program: word frequencies of a text, counted by a pipeline.

Python worker threads and C threads split lines into words and send them through one
channel; a consumer counts them into a gort.Map; the result must equal
collections.Counter over the same text."""
import collections
import random
import threading
import unittest

import gort
import support
from support import HeapCase

VOCABULARY = ("go channel select map slice swiss table goroutine python rust lua "
              "\u00e9t\u00e9 na\u00efve \u65e5\u672c").split()


def make_text(lines, seed=7):
    rng = random.Random(seed)
    return ["  ".join(rng.choice(VOCABULARY) for _ in range(rng.randrange(1, 30)))
            for _ in range(lines)]


class WordCount(HeapCase):
    def test_word_count_pipeline(self):
        python_lines, c_lines = make_text(3000), make_text(2000, seed=8)
        words = gort.Chan(str, 128, heap=self.heap)
        counts = gort.Map(str, int, heap=self.heap)
        lines = gort.Chan(str, 64, heap=self.heap)

        def tokenise():
            for line in lines:
                for word in line.split():
                    words.send(word)

        def count():
            for word in words:
                counts[word] = counts.get(word, 0) + 1

        lib = support.cthreads()
        # Two C threads, each with its own half of the C lines.
        c_workers, half = [], len(c_lines) // 2
        for part in ("\n".join(c_lines[:half]).encode(), "\n".join(c_lines[half:]).encode()):
            c_workers.append(support.start(lib.gort_cthread_produce_words, words.handle,
                                           part, len(part), 0))
        workers = [threading.Thread(target=tokenise) for _ in range(3)]
        counter = threading.Thread(target=count)
        for t in workers + [counter]:
            t.start()
        for line in python_lines:
            lines.send(line)
        lines.close()
        for t in workers:
            t.join()
        c_words = 0
        for thread in c_workers:
            status, n, _ = support.join(lib, thread)
            self.assertEqual(status, 0)
            c_words += n
        words.close()
        counter.join()

        expect = collections.Counter(w for line in python_lines + c_lines
                                     for w in line.split())
        self.assertEqual(c_words, sum(len(line.split()) for line in c_lines))
        self.assertEqual(dict(counts.items()), dict(expect))
        for ch in (words, lines, counts):
            ch.release()


if __name__ == "__main__":
    unittest.main()
