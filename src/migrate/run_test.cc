// Tests of run.h (being written).
