# 123: size :over with M
require "fileinto";
if size :over 1M { fileinto "Huge"; } else { fileinto "NotHuge"; }
