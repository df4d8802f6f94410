# 022: if false else
require "fileinto";
if false { fileinto "T"; } else { fileinto "F"; }
