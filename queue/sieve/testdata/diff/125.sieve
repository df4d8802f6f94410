# 125: size :under its own size is false
require "fileinto";
if size :under 317 { fileinto "Under"; } else { fileinto "NotUnder"; }
