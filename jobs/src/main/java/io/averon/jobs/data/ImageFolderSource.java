package io.averon.jobs.data;

import io.averon.driver.HadoopSettings;
import io.averon.worker.ExampleSource;
import io.averon.worker.InputException;
import io.averon.worker.data.BadImagePolicy;
import io.averon.worker.data.DataShape;
import io.averon.worker.data.ExampleReader;
import io.averon.worker.data.LabelledImage;
import io.averon.worker.data.SourceIndex;
import io.averon.worker.image.BadImageException;
import io.averon.worker.image.ImageDecoder;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A class-per-folder image tree ({@code root/<class>/<image>.jpg}, the ImageNet/Keras/torchvision layout) on any
 * Hadoop FileSystem. Classes are the sub-folders in name order, or a given list (so a validation tree is labelled
 * like its training tree); images are found at any depth below their class folder. Planning lists files and sets
 * empty ones aside; executors read and decode each file when its example is asked for.
 */
public final class ImageFolderSource implements ExampleSource {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ImageFolderSource.class);

    private final String rootUri;
    private final DecodeSettings decode;
    private final List<String> classNames;
    private final Split split;
    private final HadoopSettings hadoop;

    /**
     * @param classNames the classes in label order, or null to take the root's sub-folders in name order
     * @param split      which part of a seeded per-class split to keep, or null for every image
     * @param hadoop     the run's Hadoop settings, for planning here and reading on the executors
     */
    public ImageFolderSource(String rootUri, DecodeSettings decode, List<String> classNames, Split split,
                             HadoopSettings hadoop) {
        this.rootUri = rootUri;
        this.decode = decode;
        this.classNames = classNames == null ? null : List.copyOf(classNames);
        this.split = split;
        this.hadoop = Objects.requireNonNull(hadoop, "hadoop");
    }

    /**
     * The class folders of a tree, in name order: how a validation tree gets labelled like its training tree.
     */
    public static List<String> classFolders(String rootUri, HadoopSettings hadoop) {
        Configuration conf = hadoop.toConfiguration();
        try {
            return ImageFiles.subdirectories(ImageFiles.directory(rootUri, "class-per-folder image root", conf), conf)
                    .stream()
                    .map(f -> f.getPath().getName()).toList();
        } catch (IOException e) {
            throw new InputException(rootUri + ": cannot list class folders (" + e.getMessage() + ")");
        }
    }

    @Override
    public String name() {
        return rootUri + (split == null ? "" : split.validation() ? " (validation split)" : " (training split)");
    }

    @Override
    public SourceIndex index() throws IOException {
        Configuration conf = hadoop.toConfiguration();
        Path root = ImageFiles.directory(rootUri, "class-per-folder image root", conf);
        List<FileStatus> folders = ImageFiles.subdirectories(root, conf);
        if (folders.isEmpty()) {
            throw new InputException(rootUri + ": no class folders; expected " + rootUri + "/<class>/<image>.jpg");
        }
        List<String> names = classNames != null ? classNames
                : folders.stream().map(f -> f.getPath().getName()).toList();
        List<String> paths = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        long skipped = 0;
        for (FileStatus folder : folders) {
            String name = folder.getPath().getName();
            int label = names.indexOf(name);
            if (label < 0) {
                throw new InputException(folder.getPath() + ": class folder '" + name + "' is not one of the "
                        + names.size() + " training classes " + names);
            }
            List<LocatedFileStatus> files = ImageFiles.images(folder.getPath(), conf);
            List<LocatedFileStatus> usable = new ArrayList<>();
            for (LocatedFileStatus f : files) {
                if (f.getLen() == 0) {
                    skipped++;
                    setAside(f.getPath() + ": empty file (0 bytes)", skipped);
                } else {
                    usable.add(f);
                }
            }
            if (usable.isEmpty()) {
                String problem = folder.getPath() + ": class folder '" + name + "' holds no images";
                if (decode.badImages() == BadImagePolicy.FAIL) {
                    throw new InputException(problem + " (dataset.bad-images = fail)");
                }
                LOG.warn("{}; the class is kept, with no examples", problem);
            }
            List<LocatedFileStatus> kept = split == null ? usable : split.select(usable, label);
            for (LocatedFileStatus f : kept) {
                paths.add(ImageFiles.relative(root, f.getPath()));
                labels.add(label);
            }
        }
        if (paths.isEmpty()) {
            throw new InputException(name() + ": no usable images in " + folders.size() + " class folders");
        }
        DataShape shape = new DataShape(decode.channels(), decode.height(), decode.width(), names, false);
        return new Index(root.toString(), paths.toArray(String[]::new),
                labels.stream().mapToInt(Integer::intValue).toArray(), shape, skipped, decode, name(), hadoop);
    }

    private void setAside(String problem, long count) {
        if (decode.badImages() == BadImagePolicy.FAIL) {
            throw new InputException("bad image " + problem + " (dataset.bad-images = fail)");
        }
        if (count <= 5) {
            LOG.warn("skipped bad image {}", problem);
        }
    }

    @Override
    public String toString() {
        return "ImageFolderSource[" + name() + "]";
    }

    /** The planned tree: relative paths and labels; executors decode each file on demand. */
    static final class Index implements SourceIndex {
        private static final long serialVersionUID = 1L;
        private final String root;
        private final String[] paths;
        private final int[] labels;
        private final DataShape shape;
        private final long skipped;
        private final DecodeSettings decode;
        private final String name;
        private final HadoopSettings hadoop;

        Index(String root, String[] paths, int[] labels, DataShape shape, long skipped, DecodeSettings decode,
              String name, HadoopSettings hadoop) {
            this.root = root;
            this.paths = paths;
            this.labels = labels;
            this.shape = shape;
            this.skipped = skipped;
            this.decode = decode;
            this.name = name;
            this.hadoop = hadoop;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public DataShape shape() {
            return shape;
        }

        @Override
        public int size() {
            return labels.length;
        }

        @Override
        public int label(int example) {
            return labels[example];
        }

        @Override
        public String describe(int example) {
            return root + "/" + paths[example];
        }

        @Override
        public long skippedAtPlanning() {
            return skipped;
        }

        @Override
        public ExampleReader open() throws IOException {
            FileSystem fs = new Path(root).getFileSystem(hadoop.toConfiguration());
            ThreadLocal<ImageDecoder> decoders = ThreadLocal.withInitial(() -> new ImageDecoder(decode.channels(),
                    decode.maxPixels(), Math.max(decode.height(), decode.width())));
            return example -> {
                String path = describe(example);
                byte[] bytes = readFile(fs, path);
                return new LabelledImage(decoders.get().decode(bytes, path), null, labels[example]);
            };
        }
    }

    /** The whole file, or an UNREADABLE bad image naming it. */
    static byte[] readFile(FileSystem fs, String path) throws BadImageException {
        try (FSDataInputStream in = fs.open(new Path(path))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new BadImageException(BadImageException.Reason.UNREADABLE, path,
                    "unreadable (" + e.getMessage() + ")");
        }
    }
}
