# 126: size :over one less than its size
require "fileinto";
if size :over 316 { fileinto "Over"; }
