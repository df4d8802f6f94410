# 484: script with invalid UTF-8 in a string
require "fileinto";
fileinto "badÿ";
