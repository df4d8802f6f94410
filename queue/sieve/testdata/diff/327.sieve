# 327: unterminated string
require "fileinto";
fileinto "open;
