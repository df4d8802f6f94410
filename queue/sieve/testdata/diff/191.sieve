# 191: encoded-character without require is literal
require "fileinto";
fileinto "${hex:41}";
