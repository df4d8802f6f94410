# 411: hash comment right after a string
require "fileinto";
fileinto "Hash"# comment
;
