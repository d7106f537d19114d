"""The driver process around a pipeline: its console and log file (`logfile`: gg-train's words on the
console, Ray's and TensorFlow's in the experiment's logs) and work overlapped in a thread (`background`)."""
