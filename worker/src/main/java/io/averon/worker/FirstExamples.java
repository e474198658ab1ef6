package io.averon.worker;

import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.SourceIndex;

import java.io.IOException;

/**
 * The first {@code limit} examples of another source: quick runs and tests on a subset of a real dataset without
 * copying it.
 */
public final class FirstExamples implements ExampleSource {
    private static final long serialVersionUID = 1L;

    private final ExampleSource source;
    private final int limit;

    public FirstExamples(ExampleSource source, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        this.source = source;
        this.limit = limit;
    }

    /** The first {@code limit} examples of an index (the index itself when it holds no more). */
    public static SourceIndex head(SourceIndex whole, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive, got " + limit);
        }
        return whole.size() <= limit ? whole : new Head(whole, limit);
    }

    @Override
    public String name() {
        return source.name() + " (first " + limit + ")";
    }

    @Override
    public SourceIndex index() throws IOException {
        return head(source.index(), limit);
    }

    private static final class Head implements SourceIndex {
        private static final long serialVersionUID = 1L;
        private final SourceIndex whole;
        private final int size;

        Head(SourceIndex whole, int size) {
            this.whole = whole;
            this.size = size;
        }

        @Override
        public String name() {
            return whole.name() + " (first " + size + ")";
        }

        @Override
        public DataShape shape() {
            return whole.shape();
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public int label(int example) {
            return whole.label(example);
        }

        @Override
        public String describe(int example) {
            return whole.describe(example);
        }

        @Override
        public long skippedAtPlanning() {
            return whole.skippedAtPlanning();
        }

        @Override
        public ExampleReader open() throws IOException {
            return whole.open();
        }
    }
}
