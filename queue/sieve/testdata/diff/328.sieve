# 328: fileinto with a number
require "fileinto";
fileinto 42;
