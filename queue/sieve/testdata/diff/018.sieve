# 018: fileinto with a hierarchy name
require "fileinto";
fileinto "Lists.dev";
