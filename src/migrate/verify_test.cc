// Tests of verify.h (being written).
