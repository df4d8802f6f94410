# 004: fileinto
require "fileinto";
fileinto "Work";
