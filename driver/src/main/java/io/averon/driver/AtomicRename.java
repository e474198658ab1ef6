package io.averon.driver;

import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.UnsupportedFileSystemException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Replaces a run's file (model.zip, metrics.jsonl) with a fully written new version in one step, so that a driver
 * dying at any moment leaves either the old file or the new one, never neither: Hadoop's {@code FileContext} rename
 * with OVERWRITE, which is atomic on HDFS and on a local disk. A filesystem without a FileContext binding gets a
 * delete followed by a rename, with a warning that the replacement is not atomic there.
 */
final class AtomicRename {
    private static final Logger LOG = LoggerFactory.getLogger(AtomicRename.class);

    private AtomicRename() {
    }

    static void over(FileSystem fs, Path source, Path target) throws IOException {
        FileContext context;
        try {
            context = FileContext.getFileContext(fs.getUri(), fs.getConf());
        } catch (UnsupportedFileSystemException e) {
            LOG.warn("{} has no atomic rename-over; replacing {} by delete and rename", fs.getUri(), target);
            fs.delete(target, false);
            if (!fs.rename(source, target)) {
                throw new IOException("could not rename " + source + " to " + target);
            }
            return;
        }
        context.rename(fs.makeQualified(source), fs.makeQualified(target), Options.Rename.OVERWRITE);
    }
}
