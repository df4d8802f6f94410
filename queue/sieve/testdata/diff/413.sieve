# 413: size with a K suffix in lower case
require "fileinto";
if size :under 1k { fileinto "Small"; }
