# Embeds data files into a C++ source so that the fwtax binary runs without the source tree.
# fwtax_embed_data(<out.cpp> <base_dir> <relative files...>) defines
#   const fwtax::EmbeddedFile* fwtax::embedded_files(std::size_t* count)
# The files are re-embedded whenever one of them changes.
set(FWTAX_EMBED_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/embed_data_script.cmake)

function(fwtax_embed_data out_cpp base_dir)
  set(abs_files)
  foreach(f IN LISTS ARGN)
    list(APPEND abs_files ${base_dir}/${f})
  endforeach()
  string(REPLACE ";" "|" files_arg "${ARGN}")
  add_custom_command(
    OUTPUT ${out_cpp}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out_cpp} -DBASE=${base_dir} "-DFILES=${files_arg}" -P ${FWTAX_EMBED_SCRIPT}
    DEPENDS ${abs_files} ${FWTAX_EMBED_SCRIPT}
    COMMENT "Embedding fwtax built-in data"
    VERBATIM)
endfunction()
