# 329: fileinto with a string list
require "fileinto";
fileinto ["A", "B"];
