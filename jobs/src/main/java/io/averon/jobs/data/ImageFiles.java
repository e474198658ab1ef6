package io.averon.jobs.data;

import io.averon.worker.InputException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Lists the image files of a directory tree on any Hadoop FileSystem, the way every vision tool does: by extension
 * (jpg, jpeg, png, bmp, gif; any case), sorted by path so that example indices are the same on every run, hidden and
 * underscore-prefixed entries (Hadoop's _SUCCESS, .crc) left out.
 */
final class ImageFiles {
    static final Set<String> EXTENSIONS = Set.of("jpg", "jpeg", "png", "bmp", "gif");

    private ImageFiles() {
    }

    /** The directory as a FileSystem path, or an error naming it if it is missing or not a directory. */
    static Path directory(String uri, String role, Configuration conf) throws IOException {
        Path path = new Path(uri);
        FileSystem fs;
        try {
            fs = path.getFileSystem(conf);
        } catch (IOException e) {
            throw new InputException(uri + ": cannot open its filesystem (" + e.getMessage() + ")");
        }
        FileStatus status;
        try {
            status = fs.getFileStatus(path);
        } catch (FileNotFoundException e) {
            throw new InputException(uri + ": " + role + " not found");
        }
        if (!status.isDirectory()) {
            throw new InputException(uri + ": " + role + " must be a directory, found a file");
        }
        return fs.makeQualified(path);
    }

    /** Sub-directories of {@code dir}, sorted by name. */
    static List<FileStatus> subdirectories(Path dir, Configuration conf) throws IOException {
        FileSystem fs = dir.getFileSystem(conf);
        List<FileStatus> dirs = new ArrayList<>();
        for (FileStatus s : fs.listStatus(dir)) {
            if (s.isDirectory() && visible(s.getPath().getName())) {
                dirs.add(s);
            }
        }
        dirs.sort(Comparator.comparing(s -> s.getPath().getName()));
        return dirs;
    }

    /** Image files anywhere below {@code dir}, sorted by path. */
    static List<LocatedFileStatus> images(Path dir, Configuration conf) throws IOException {
        FileSystem fs = dir.getFileSystem(conf);
        List<LocatedFileStatus> files = new ArrayList<>();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
        while (it.hasNext()) {
            LocatedFileStatus s = it.next();
            String name = s.getPath().getName();
            if (s.isFile() && visible(name) && EXTENSIONS.contains(extension(name))) {
                files.add(s);
            }
        }
        files.sort(Comparator.comparing(s -> s.getPath().toString()));
        return files;
    }

    static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    static String baseName(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(0, dot);
    }

    /** Path of {@code file} relative to {@code root} (both qualified). */
    static String relative(Path root, Path file) {
        String r = root.toUri().getPath();
        String f = file.toUri().getPath();
        String prefix = r.endsWith("/") ? r : r + "/";
        return f.startsWith(prefix) ? f.substring(prefix.length()) : f;
    }

    private static boolean visible(String name) {
        return !name.startsWith(".") && !name.startsWith("_");
    }
}
