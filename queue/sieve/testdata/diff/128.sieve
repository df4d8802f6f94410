# 128: size of a multipart message with G
require "fileinto";
if size :under 1G { fileinto "UnderG"; }
