# 021: if true
require "fileinto";
if true { fileinto "T"; }
