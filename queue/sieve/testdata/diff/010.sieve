# 010: keep and fileinto
require "fileinto";
keep;
fileinto "Copy";
