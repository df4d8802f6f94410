# 483: script with a UTF-8 byte order mark
require "fileinto";
fileinto "Bom";
