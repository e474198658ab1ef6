package io.averon.driver;

import java.io.PrintStream;

/**
 * How a run was asked for on the command line.
 *
 * @param runDirectory where to write the run (null = a new directory under run.root)
 * @param resume       null = start fresh; "" = resume from the newest valid checkpoint of this job's latest run;
 *                     otherwise a run directory or a checkpoint directory to resume from
 * @param out          where progress and summaries go (the console)
 */
public record RunOptions(String runDirectory, String resume, PrintStream out) {
}
