# 486: tag before a positional argument in the wrong place
require "fileinto";
fileinto "Box" :copy;
