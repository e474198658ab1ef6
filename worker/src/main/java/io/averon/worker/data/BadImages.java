package io.averon.worker.data;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The bad images one worker met in one epoch: how many, and the first few with their reasons, so the driver can
 * report a total and examples without shipping one line per file. Thread-safe while it is filled; a snapshot
 * travels back to the driver in the worker's report.
 */
public final class BadImages implements Serializable {
    private static final long serialVersionUID = 1L;
    /** How many paths are kept (and logged) per worker and epoch. */
    public static final int KEPT = 5;

    private long count;
    private final List<String> first = new ArrayList<>();

    public synchronized boolean record(String what) {
        count++;
        if (first.size() < KEPT) {
            first.add(what);
            return true;
        }
        return false;
    }

    public synchronized long count() {
        return count;
    }

    public synchronized List<String> first() {
        return List.copyOf(first);
    }

    public synchronized void merge(BadImages other) {
        count += other.count();
        for (String s : other.first()) {
            if (first.size() < KEPT) {
                first.add(s);
            }
        }
    }

    public synchronized BadImages snapshot() {
        BadImages copy = new BadImages();
        copy.merge(this);
        return copy;
    }
}
