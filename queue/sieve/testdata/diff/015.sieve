# 015: discard after fileinto
require "fileinto";
fileinto "Work";
discard;
